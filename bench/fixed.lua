-- Requests one path (given on the wrk command line), optionally with a bearer token.
local token = os.getenv("BEARER")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
