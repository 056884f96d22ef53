-- wrk script for `cargo xtask bench-server`: POST /v1/widget/<key>/device-renders from the
-- allowed origin, each request from a different visitor behind the trusted proxy (loopback), so
-- every request creates or updates its own rate-limit counters as real traffic would.
-- Environment: VITRINE_BENCH_KEY (the publishable key), VITRINE_BENCH_ORIGIN.
local key = os.getenv("VITRINE_BENCH_KEY")
local origin = os.getenv("VITRINE_BENCH_ORIGIN")
local path = "/v1/widget/" .. key .. "/device-renders"
local body = '{"product":"OAK-190"}'
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
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = visitor,
  }, body)
end

-- Fails the run (non-2xx answers are counted by wrk) and prints the latency percentiles.
function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d errors_status=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.errors.status, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
