-- wrk script for every scenario of bench/harness.py; the scenario and its data come from the
-- environment:
--   BENCH_SCENARIO   health | me_bearer | me_cookie | refresh | login | register
--   BENCH_ACCESS     access token (me_bearer, me_cookie)
--   BENCH_TOKENS     file with one refresh token per line; thread i (one connection per thread,
--                    wrk -t N -c N) starts with line i and then uses the refresh token of each
--                    answer for its next request, so no token is ever presented twice at once
--   BENCH_REFRESH_METHOD  POST (Gatehouse) or GET (the peers only have GET)
--   BENCH_USERS      file with one e-mail per line (login; password BENCH_PASSWORD)
--   BENCH_TAG        unique per run, part of every registered e-mail
-- done() prints one line "BENCHJSON {...}" that the harness parses.

local scenario = os.getenv("BENCH_SCENARIO") or "health"
local password = os.getenv("BENCH_PASSWORD") or "bench-password-1"
local tag = os.getenv("BENCH_TAG") or tostring(os.time())

local function read_lines(path)
  local out = {}
  if not path then return out end
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if #line > 0 then out[#out + 1] = line end
  end
  f:close()
  return out
end

local threads = {}
local thread_count = 0

-- Runs in the main Lua state once per thread, before the run.
function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  if scenario == "refresh" then
    local tokens = read_lines(os.getenv("BENCH_TOKENS"))
    if #tokens < thread_count then
      error("BENCH_TOKENS has " .. #tokens .. " tokens for " .. thread_count .. " threads")
    end
    thread:set("token", tokens[thread_count])
  end
  table.insert(threads, thread)
end

-- Static requests (wrk builds them once): health and /me.
if scenario == "health" then
  wrk.method = "GET"
  wrk.path = "/api/healthchecker"
elseif scenario == "me_bearer" then
  wrk.method = "GET"
  wrk.path = "/api/users/me"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_ACCESS") or "")
elseif scenario == "me_cookie" then
  wrk.method = "GET"
  wrk.path = "/api/users/me"
  wrk.headers["Cookie"] = "access_token=" .. (os.getenv("BENCH_ACCESS") or "") .. "; logged_in=True"
end

-- Per-thread state (each wrk thread has its own Lua state; globals set by thread:set appear here).
local users = nil
local n = 0
rotated = 0
refused = 0

function init(args)
  if scenario == "login" then
    users = read_lines(os.getenv("BENCH_USERS"))
  end
end

if scenario == "refresh" then
  local method = os.getenv("BENCH_REFRESH_METHOD") or "POST"
  request = function()
    local body = nil
    if method == "POST" then body = "" end
    return wrk.format(method, "/api/auth/refresh", { ["Authorization"] = "Bearer " .. token }, body)
  end
  response = function(status, headers, body)
    if status == 200 then
      local fresh = body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if fresh then
        token = fresh
        rotated = rotated + 1
      end
    else
      refused = refused + 1
    end
  end
elseif scenario == "login" then
  request = function()
    n = n + 1
    local email = users[((id + n) % #users) + 1]
    return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" },
      '{"email":"' .. email .. '","password":"' .. password .. '"}')
  end
elseif scenario == "register" then
  request = function()
    n = n + 1
    local email = "r" .. tag .. "-" .. id .. "-" .. n .. "@example.com"
    return wrk.format("POST", "/api/auth/register", { ["Content-Type"] = "application/json" },
      '{"name":"Bench User","email":"' .. email .. '","photo":"default.png","password":"' ..
      password .. '","passwordConfirm":"' .. password .. '"}')
  end
end

function done(summary, latency, requests)
  local rot, ref = 0, 0
  for _, t in ipairs(threads) do
    rot = rot + (tonumber(t:get("rotated")) or 0)
    ref = ref + (tonumber(t:get("refused")) or 0)
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCHJSON {"scenario":"%s","requests":%d,"duration_s":%.6f,"rps":%.3f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"non2xx":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,' ..
    '"rotated":%d,"refused":%d}\n',
    scenario, summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.status, e.connect, e.read, e.write, e.timeout, rot, ref))
end
