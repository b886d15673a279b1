-- Requests a random package of the seeded set each time: PATH_TEMPLATE has one %06d.
local template = os.getenv("PATH_TEMPLATE")
local count = tonumber(os.getenv("PACKAGES") or "1000")
local token = os.getenv("BEARER")
math.randomseed(os.time())
request = function()
  local headers = {}
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", string.format(template, math.random(1, count)), headers)
end
