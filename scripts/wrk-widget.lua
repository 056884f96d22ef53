-- wrk script for `cargo xtask bench-server`: one of two widget endpoints, from the allowed origin,
-- each request from a different visitor behind the trusted proxy (loopback), so every request
-- creates its own rate-limit state as real traffic would.
--   VITRINE_BENCH_WORKLOAD=device-render: POST /v1/widget/<key>/device-renders (a render counted)
--   VITRINE_BENCH_WORKLOAD=beacon: POST /v1/widget/<key>/events, a consented beacon of ten events
--     (a widget session's funnel and the shop's own events, with the anonymous and hashed user ids)
-- Environment: VITRINE_BENCH_KEY (the publishable key), VITRINE_BENCH_ORIGIN, VITRINE_BENCH_WORKLOAD.
local key = os.getenv("VITRINE_BENCH_KEY")
local origin = os.getenv("VITRINE_BENCH_ORIGIN")
local workload = os.getenv("VITRINE_BENCH_WORKLOAD")
local path, content_type, body

if workload == "device-render" then
  path = "/v1/widget/" .. key .. "/device-renders"
  content_type = "application/json"
  body = '{"product":"OAK-190"}'
elseif workload == "beacon" then
  path = "/v1/widget/" .. key .. "/events"
  content_type = "text/plain;charset=UTF-8"
  local at = os.time() * 1000
  local session = "0123456789abcdef0123456789abcdef"
  local function widget(name)
    return string.format('{"name":"%s","at":%d,"session":"%s","first":true}', name, at, session)
  end
  local events = {
    widget("opened"), widget("notice_shown"), widget("consent_given"), widget("photo_chosen"),
    widget("uploaded"), widget("render_succeeded"), widget("closed"),
    string.format('{"name":"page_view","at":%d,"page":"product"}', at),
    string.format('{"name":"search","at":%d,"term":"oak flooring"}', at),
    string.format('{"name":"add_to_cart","at":%d,"product":"OAK-PLANK-190","quantity":1}', at),
  }
  body = '{"v":1,"consent":1,"ids":{"anonymous":"fedcba9876543210fedcba9876543210",' ..
    '"user":"61bc47acc0c38ec08694044babc3a52b1f5ec2435e7bded5c7a8735271b7e81b"},"events":[' ..
    table.concat(events, ",") .. "]}"
else
  error("VITRINE_BENCH_WORKLOAD must be device-render or beacon")
end
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
    ["Content-Type"] = content_type,
    ["X-Forwarded-For"] = visitor,
  }, body)
end

-- Fails the run (non-2xx answers are counted by wrk) and prints the latency percentiles.
function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d errors_status=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.errors.status, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
