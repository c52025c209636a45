// Command schemacheck lints the gateway's JSON Schemas (schema/) and detects
// breaking changes against a git ref, in the spirit of buf lint and buf
// breaking.
//
//	go run ./tools/schemacheck lint [-dir schema]
//	go run ./tools/schemacheck breaking [-dir schema] -against REF [-allow-version-bump]
//
// Exit status: 0 clean, 1 problems or breaking changes, 2 usage or I/O error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/clawgate/gateway/tools/schemacheck/check"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  schemacheck lint [-dir schema]
  schemacheck breaking [-dir schema] -against REF [-allow-version-bump]
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "lint":
		return lint(args[1:], stdout, stderr)
	case "breaking":
		return breaking(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "schemacheck: unknown command %q\n%s", args[0], usage)
	return 2
}

func lint(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "schema", "schema directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "schemacheck lint: unexpected arguments %q\n", fs.Args())
		return 2
	}
	files, err := check.LoadDir(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "schemacheck lint: %v\n", err)
		return 2
	}
	problems := check.Lint(files)
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		return 1
	}
	return 0
}

func breaking(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("breaking", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "schema", "schema directory")
	against := fs.String("against", "", "git ref to compare with (required)")
	allowBump := fs.Bool("allow-version-bump", false, "report breaking changes as warnings when manifest protocol.max increased")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "against" })
	if !set || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "schemacheck breaking: -against REF is required\n%s", usage)
		return 2
	}
	oldFiles, nothing, err := check.LoadGit(*dir, *against)
	if err != nil {
		fmt.Fprintf(stderr, "schemacheck breaking: %v\n", err)
		return 2
	}
	if nothing != "" {
		fmt.Fprintf(stdout, "schemacheck breaking: %s: nothing to compare\n", nothing)
		return 0
	}
	newFiles, err := check.LoadDir(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "schemacheck breaking: %v\n", err)
		return 2
	}
	rep, err := check.Breaking(oldFiles, newFiles)
	if err != nil {
		fmt.Fprintf(stderr, "schemacheck breaking: %v (run schemacheck lint)\n", err)
		return 2
	}
	if len(rep.Changes) == 0 {
		fmt.Fprintf(stdout, "schemacheck breaking: no breaking changes against %s\n", *against)
		return 0
	}
	if *allowBump && rep.VersionBumped() {
		for _, c := range rep.Changes {
			fmt.Fprintf(stdout, "warning: %s\n", c)
		}
		fmt.Fprintf(stdout, "schemacheck breaking: %d breaking change(s) allowed: protocol.max raised from %d to %d\n",
			len(rep.Changes), rep.OldMax, rep.NewMax)
		return 0
	}
	for _, c := range rep.Changes {
		fmt.Fprintln(stdout, c)
	}
	msg := fmt.Sprintf("%d breaking change(s) against %s", len(rep.Changes), *against)
	if *allowBump {
		msg += " (protocol.max was not raised, so -allow-version-bump does not apply)"
	}
	fmt.Fprintln(stderr, "schemacheck breaking: "+msg)
	return 1
}
