-- Shared by key_start.lua and survey_start.lua: one form POST, sent again and again, that
-- counts as done only when the portal answers 303 (a start). Anything else (the form shown
-- again with an error, a 4xx guard refusal, a 5xx) is counted and printed as
-- "wrong_status N" for bench/wrk_bench.py, because wrk itself counts every 2xx/3xx as fine.
--
-- Arguments after `--`: the signed form timestamp (`ts`, taken from a page the portal
-- rendered) and the Origin a browser sends for a same-origin POST.
local M = {}

local function encode(value)
  return (value:gsub("[^%w%-_%.~ ]", function(c) return string.format("%%%02X", c:byte()) end)
               :gsub(" ", "+"))
end

function M.start(path, fields)
  local threads = {}

  function setup(thread)
    table.insert(threads, thread)
  end

  function init(args)
    wrong = 0
    local ts, origin = args[1], args[2]
    assert(ts and origin, "usage: wrk ... -s SCRIPT URL -- <ts> <origin>")
    local pairs_ = {}
    for _, field in ipairs(fields) do
      table.insert(pairs_, encode(field[1]) .. "=" .. encode(field[2]))
    end
    table.insert(pairs_, "ts=" .. encode(ts))
    -- the honeypot field, empty as a person leaves it
    table.insert(pairs_, "website=")
    local headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Origin"] = origin,
      ["Sec-Fetch-Site"] = "same-origin",
    }
    -- formatted once per thread: the request is the same every time
    req = wrk.format("POST", path, headers, table.concat(pairs_, "&"))
  end

  function request()
    return req
  end

  function response(status, headers, body)
    if status ~= 303 then
      wrong = wrong + 1
    end
  end

  function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
      total = total + (thread:get("wrong") or 0)
    end
    io.write(string.format("wrong_status %d\n", total))
  end
end

return M
