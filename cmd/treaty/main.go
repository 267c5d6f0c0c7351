// Command treaty is the contract-testing broker, its client and its release tooling in one binary.
package main

import (
	"os"

	"github.com/treaty-dev/treaty/cmd/treaty/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
