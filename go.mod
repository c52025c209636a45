module github.com/clawgate/gateway

go 1.26.8
