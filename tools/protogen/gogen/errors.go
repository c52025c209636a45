package gogen

import (
	"fmt"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/clawgate/gateway/tools/protogen/model"
)

// The dispatcher answers with two of the schema's error codes: INVALID_REQUEST for an
// unknown method or bad params (the caller's fault), UNAVAILABLE for a group nobody
// serves (the server's).
const (
	codeInvalid     = "INVALID_REQUEST"
	codeUnavailable = "UNAVAILABLE"
)

func checkErrorCodes(m *model.Model) error {
	n := m.ErrorCode
	if n == nil || n.Schema.Kind != model.KindString || len(n.Schema.Enum) == 0 {
		return fmt.Errorf("defs.json needs $defs.ErrorCode, the string enum of wire error codes")
	}
	for _, c := range []string{codeInvalid, codeUnavailable} {
		if !slices.Contains(n.Schema.Enum, c) {
			return fmt.Errorf("%s: the dispatcher answers with %s, which is not in the enum", n.Ref(), c)
		}
	}
	return nil
}

func codeConst(m *model.Model, code string) *jen.Statement {
	return jen.String().Call(jen.Id(enumConst(m.ErrorCode.Name, code)))
}

// genErrors emits what the schema's error codes add to the runtime's errors: a
// constructor on the code, and the dispatcher's answers.
func genErrors(m *model.Model, f *jen.File) {
	ec := m.ErrorCode.Name
	commentf(f, "Errorf returns a wire error with code c and a formatted message: "+
		"%sNotLinked.Errorf(\"whatsapp is not linked\").", ec)
	f.Func().Params(jen.Id("c").Id(ec)).Id("Errorf").Params(jen.Id("format").String(), jen.Id("args").Op("...").Any()).Op("*").Add(rpcQ("Error")).Block(
		jen.Return(rpcQ("Errorf").Call(jen.String().Call(jen.Id("c")), jen.Id("format"), jen.Id("args").Op("..."))),
	)
	f.Comment("errUnknownMethod answers a method that does not exist in the connection's protocol.")
	f.Func().Id("errUnknownMethod").Params(jen.Id("method").String()).Error().Block(
		jen.Return(rpcQ("UnknownMethod").Call(codeConst(m, codeInvalid), jen.Id("method"))),
	)
	f.Comment("errParams answers params that fail the method's schema.")
	f.Func().Id("errParams").Params(jen.Id("method").String(), jen.Err().Error()).Error().Block(
		jen.Return(rpcQ("InvalidParams").Call(codeConst(m, codeInvalid), jen.Id("method"), jen.Err())),
	)
	f.Comment("errNotImplemented answers a method of a group nobody serves.")
	f.Func().Id("errNotImplemented").Params(jen.Id("method").String()).Error().Block(
		jen.Return(rpcQ("NotImplemented").Call(codeConst(m, codeUnavailable), jen.Id("method"))),
	)
}
