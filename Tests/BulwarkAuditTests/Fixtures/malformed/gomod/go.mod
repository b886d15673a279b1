modul github.com/acme/svc

go 1.21
