-- For bench/hung_appliance.py --load wrk: sends BENCH_METHOD/BENCH_BODY (form-encoded) and
-- counts 5xx answers and answers other than BENCH_EXPECT, summed over wrk's threads.
local threads = {}
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local headers = {}
if body then
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Origin"] = os.getenv("BENCH_ORIGIN")
  headers["Sec-Fetch-Site"] = "same-origin"
end

function setup(thread) table.insert(threads, thread) end
function init(args) server_errors = 0; unexpected = 0 end
function request() return wrk.format(method, nil, headers, body) end
function response(status, hdrs, resp_body)
  if status >= 500 then server_errors = server_errors + 1 end
  if status ~= expect then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local s, u = 0, 0
  for _, t in ipairs(threads) do s = s + t:get("server_errors"); u = u + t:get("unexpected") end
  io.write(string.format("RESULT requests=%d server_errors=%d unexpected=%d socket_errors=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, s, u,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
