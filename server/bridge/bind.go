package bridge

// Bind modes of bridge.bind (§8.2). Unset, the bridge listens where the gateway
// does (gateway.bind, loopback by default) — not on every interface as in the
// original, where an unauthenticated LAN peer could file pairing requests and hold
// connections (docs/SECURITY.md).
const (
	BindLoopback = "loopback"
	BindLAN      = "lan"
	BindTailnet  = "tailnet"
	BindAuto     = "auto"
)

// BindHost resolves an explicit bridge.bind mode to the address to listen on: loopback →
// 127.0.0.1, lan → 0.0.0.0, tailnet → the tailnet address (none: ok=false, the bridge
// is not started), auto → the tailnet address, else 0.0.0.0. tailnet finds the
// machine's tailnet IPv4 address. An unknown mode is treated as the default.
func BindHost(mode string, tailnet func() (string, bool)) (host string, ok bool) {
	switch mode {
	case BindLoopback:
		return "127.0.0.1", true
	case BindTailnet:
		return tailnet()
	case BindAuto:
		if h, ok := tailnet(); ok {
			return h, true
		}
		return "0.0.0.0", true
	default:
		return "0.0.0.0", true
	}
}
