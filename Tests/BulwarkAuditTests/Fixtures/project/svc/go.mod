module github.com/acme/svc

go 1.21

require (
	github.com/gin-gonic/gin v1.9.1
	github.com/google/uuid v1.5.0
	golang.org/x/net v0.19.0 // indirect
	github.com/acme/shared v0.0.0-00010101000000-000000000000
)

require github.com/stretchr/testify v1.8.4

// Local checkout while we iterate on it.
replace github.com/acme/shared => ../shared
