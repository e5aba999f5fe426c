//go:build tools

// Package tools pins the Pulumi CLI, built from the Go module proxy by scripts/toolchain.sh.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
