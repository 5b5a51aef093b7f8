-- wrk script for bench/token: POST /token with the client_credentials grant and HTTP Basic.
-- Reads CLIENT_ID and CLIENT_SECRET from the environment. Counts every response whose
-- status is not 200 and prints one machine-readable line at the end:
--   RESULT requests=N duration_us=N rps=N p50_us=N p90_us=N p99_us=N max_us=N non200=N socket_errors=N
-- With HIST_FILE set, also appends the latency histogram ("microseconds count" lines) to it.
-- (The client id and secret are plain ASCII here, so no form-encoding is needed, RFC 6749 §2.3.1.)

local id = os.getenv("CLIENT_ID") or "bench"
local secret = os.getenv("CLIENT_SECRET") or ""

-- Base64 (standard alphabet, padded) for the Authorization header.
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

wrk.method = "POST"
wrk.path = "/token"
wrk.body = "grant_type=client_credentials&scope=read:records"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. b64(id .. ":" .. secret)
wrk.headers["Accept"] = "application/json"

local threads = {}

function setup(thread)
  thread:set("non200", 0)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local non200_total = 0
  for _, thread in ipairs(threads) do
    non200_total = non200_total + thread:get("non200")
  end
  -- The whole latency histogram (microseconds, count), for merging several runs exactly.
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
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non200=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    non200_total, socket_errors))
end
