package auth

import "slices"

// Roles (§11).
const (
	RoleOperator = "operator"
	RoleNode     = "node"
)

// Operator scopes (§11).
const (
	ScopeAdmin     = "operator.admin"
	ScopeRead      = "operator.read"
	ScopeWrite     = "operator.write"
	ScopePairing   = "operator.pairing"
	ScopeApprovals = "operator.approvals"
)

// Manifest scope values that are not operator scopes (protocol.ScopeNone and
// protocol.ScopeNode, as strings).
const (
	needNone = ""
	needNode = "node"
)

// ValidRole reports whether role is one the server accepts ("" is the default,
// operator); anything else is INVALID_REQUEST MsgInvalidRole.
func ValidRole(role string) bool {
	return role == "" || role == RoleOperator || role == RoleNode
}

// DefaultScopes returns the scopes granted for a connect: the requested list when it
// is non-empty, else ["operator.admin"] for operators (role "" included) and [] for
// nodes. The result is a fresh slice.
func DefaultScopes(role string, requested []string) []string {
	if len(requested) > 0 {
		return slices.Clone(requested)
	}
	if role == "" || role == RoleOperator {
		return []string{ScopeAdmin}
	}
	return []string{}
}

// Allowed reports whether granted scopes satisfy need, the manifest scope of a method
// or event (protocol.Scope as a string; the short manifest forms "read", "write",
// "admin", "pairing", "approvals" are accepted too). operator.admin passes everything;
// operator.read is satisfied by read or write; "" / "none" needs nothing; anything
// unknown needs operator.admin. missing is the scope to name in "missing scope: <scope>".
// need "node" is a role requirement, never satisfied by scopes (missing is ""); use
// AuthorizeMethod for the full per-method rule.
func Allowed(granted []string, need string) (ok bool, missing string) {
	need = canonicalScope(need)
	switch need {
	case needNone:
		return true, ""
	case needNode:
		return false, ""
	}
	if slices.Contains(granted, ScopeAdmin) {
		return true, ""
	}
	switch need {
	case ScopeRead:
		if slices.Contains(granted, ScopeRead) || slices.Contains(granted, ScopeWrite) {
			return true, ""
		}
		return false, ScopeRead
	case ScopeWrite, ScopePairing, ScopeApprovals:
		if slices.Contains(granted, need) {
			return true, ""
		}
		return false, need
	}
	return false, ScopeAdmin
}

// AuthorizeMethod is the v3 per-method rule of the reference (authorizeGatewayMethod)
// for a connected client: methods with manifest scope "node" only for role node, every
// other method only for role operator ("unauthorized role: <role>"), then Allowed
// ("missing scope: <scope>"). The only method with scope none is connect; after the
// handshake the reference authorizes it like any unlisted method, so a late connect
// needs operator.admin. Returns nil or an INVALID_REQUEST *Error.
func AuthorizeMethod(role string, granted []string, need string) error {
	if role == "" {
		role = RoleOperator
	}
	need = canonicalScope(need)
	if need == needNode {
		if role == RoleNode {
			return nil
		}
		return invalid(msgUnauthorizedRolePref + role)
	}
	if role != RoleOperator {
		return invalid(msgUnauthorizedRolePref + role)
	}
	if need == needNone {
		need = ScopeAdmin
	}
	if ok, missing := Allowed(granted, need); !ok {
		return invalid(msgMissingScopePrefix + missing)
	}
	return nil
}

// EventAllowed reports whether a client receives a scope-guarded event (manifest event
// scope; "" = unguarded, everyone receives it). Guarded events go to operators only,
// with operator.admin or the named scope (reference hasEventScope).
func EventAllowed(role string, granted []string, need string) bool {
	need = canonicalScope(need)
	if need == needNone {
		return true
	}
	if role != "" && role != RoleOperator {
		return false
	}
	return slices.Contains(granted, ScopeAdmin) || slices.Contains(granted, need)
}

func canonicalScope(s string) string {
	switch s {
	case "", "none":
		return needNone
	case "read":
		return ScopeRead
	case "write":
		return ScopeWrite
	case "admin":
		return ScopeAdmin
	case "pairing":
		return ScopePairing
	case "approvals":
		return ScopeApprovals
	}
	return s
}
