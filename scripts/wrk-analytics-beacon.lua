-- wrk script for `cargo xtask bench-server`: POST /v1/widget/<key>/events, a consented beacon of
-- ten events (a widget session's funnel and the shop's own events, with the anonymous and hashed
-- user ids), each request from a different visitor behind the trusted proxy (loopback), so each
-- gets its own beacon allowance and keyed visitor hash as real traffic would.
-- Environment: VITRINE_BENCH_KEY (the publishable key), VITRINE_BENCH_ORIGIN.
local key = os.getenv("VITRINE_BENCH_KEY")
local origin = os.getenv("VITRINE_BENCH_ORIGIN")
local path = "/v1/widget/" .. key .. "/events"
local at = os.time() * 1000
local session = "0123456789abcdef0123456789abcdef"
local function widget(name, first)
  return string.format('{"name":"%s","at":%d,"session":"%s","first":%s}', name, at, session, first)
end
local events = {
  widget("opened", "true"), widget("notice_shown", "true"), widget("consent_given", "true"),
  widget("photo_chosen", "true"), widget("uploaded", "true"), widget("render_succeeded", "true"),
  widget("closed", "true"),
  string.format('{"name":"page_view","at":%d,"page":"product"}', at),
  string.format('{"name":"search","at":%d,"term":"oak flooring"}', at),
  string.format('{"name":"add_to_cart","at":%d,"product":"OAK-PLANK-190","quantity":1}', at),
}
local body = '{"v":1,"consent":1,"ids":{"anonymous":"fedcba9876543210fedcba9876543210",' ..
  '"user":"61bc47acc0c38ec08694044babc3a52b1f5ec2435e7bded5c7a8735271b7e81b"},"events":[' ..
  table.concat(events, ",") .. "]}"
local n = 0

function setup(thread)
  thread:set("offset", math.random(0, 1000000))
end

function request()
  n = n + 1
  local v = n + offset
  local visitor = string.format("198.%d.%d.%d", 18 + (math.floor(v / 65536) % 2), math.floor(v / 256) % 256, v % 256)
  return wrk.format("POST", path, {
    ["Origin"] = origin,
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["X-Forwarded-For"] = visitor,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d errors_status=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.errors.status, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
