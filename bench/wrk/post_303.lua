-- Shared by key_start.lua and survey_start.lua: one form POST, sent again and again, that
-- counts as done only when the portal answers 303 (a start). Anything else (the form shown
-- again with an error, a 4xx guard refusal, a 5xx) is counted and printed as
-- "wrong_status N" for bench/wrk_bench.py, because wrk itself counts every 2xx/3xx as fine.
--
-- Arguments after `--`: the signed form timestamp (`ts`, taken from a page the portal
-- rendered) and the Origin a browser sends for a same-origin POST.
--
-- Each POST comes from another customer: a random address in 10.0.0.0/8 in X-Forwarded-For,
-- as a proxy in front of the portal names its clients (bench/wrk_bench.py trusts one hop). So
-- the start rate limit counts every start as in the field, most of them a client's first in
-- its window, instead of one client's counter raised a thousand times a second.
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
    body, form_headers = table.concat(pairs_, "&"), headers
    -- each wrk thread its own sequence of addresses
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
  end

  function request()
    form_headers["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
    return wrk.format("POST", path, form_headers, body)
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
