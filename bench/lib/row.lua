-- wrk script for every HTTP row of bench/run. The row comes from the environment:
--   ROW_METHOD  GET or POST
--   ROW_BODY    the form body of a POST (application/x-www-form-urlencoded)
--   ROW_AUTH    "basic" (CLIENT_ID / CLIENT_SECRET, RFC 6749 §2.3.1), "bearer" (ROW_TOKEN,
--               RFC 6750 §2.1) or "none"
--   ROW_EXPECT  substrings every response body must contain, separated by "|"
--   ROW_POOL    refresh mode: a file of refresh tokens, one a line (one per connection and
--               one more per thread: wrk calls request() once on its first thread to check
--               it and never sends that request); each request takes one
--               (grant_type=refresh_token, RFC 6749 §6) and puts back the rotated one from
--               its response
-- The path is wrk's URL. A response whose status is not 200 or whose body lacks an expected
-- substring is counted in `non200`. Prints one line at the end:
--   RESULT requests=N duration_us=N rps=N p50_us=N p90_us=N p99_us=N max_us=N non200=N socket_errors=N
-- With HIST_FILE set, appends the latency histogram ("microseconds count" lines) to it.

local function env(name)
  local value = os.getenv(name)
  if value == "" then return nil end
  return value
end
local method = os.getenv("ROW_METHOD") or "GET"
local body = env("ROW_BODY")
local auth = os.getenv("ROW_AUTH") or "none"
local pool_file = env("ROW_POOL")

local expect = {}
for part in string.gmatch(os.getenv("ROW_EXPECT") or "", "[^|]+") do
  table.insert(expect, part)
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(s)
  return ((s:gsub(".", function(c)
    local byte, bits = c:byte(), ""
    for i = 8, 1, -1 do bits = bits .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return bits
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local n = 0
    for i = 1, 6 do n = n + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(n + 1, n + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

wrk.method = method
wrk.headers["Accept"] = "application/json"
if body then wrk.body = body end
if body or pool_file then
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
if auth == "basic" then
  wrk.headers["Authorization"] = "Basic " .. b64(os.getenv("CLIENT_ID") .. ":" .. os.getenv("CLIENT_SECRET"))
elseif auth == "bearer" then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("ROW_TOKEN")
end

local threads = {}

function setup(thread)
  thread:set("non200", 0)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  pool = {}
  if pool_file then
    -- Each thread takes every n-th token, so no two threads share one.
    local i, n = 0, tonumber(os.getenv("WRK_THREADS") or "1")
    for line in io.lines(pool_file) do
      if i % n == id then table.insert(pool, line) end
      i = i + 1
    end
  end
end

if pool_file then
  function request()
    local token = table.remove(pool) or "pool-exhausted"
    return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
  end
end

function response(status, headers, resp)
  local ok = status == 200
  if ok then
    for _, part in ipairs(expect) do
      if not resp:find(part, 1, true) then ok = false; break end
    end
  end
  if ok and pool_file then
    local rotated = resp:match('"refresh_token"%s*:%s*"([^"]+)"')
    if rotated then table.insert(pool, rotated) else ok = false end
  end
  if not ok then
    non200 = non200 + 1
    if non200 <= 3 then io.stderr:write("bad response ", status, ": ", resp:sub(1, 300), "\n") end
  end
end

function done(summary, latency, requests)
  local non200_total = 0
  for _, thread in ipairs(threads) do
    non200_total = non200_total + thread:get("non200")
  end
  local hist_file = os.getenv("HIST_FILE")
  if hist_file then
    local f = assert(io.open(hist_file, "a"))
    for i = 1, #latency do
      local value, count = latency(i)
      f:write(string.format("%d %d\n", value, count))
    end
    f:close()
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non200=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    non200_total, e.connect + e.read + e.write + e.timeout))
end
