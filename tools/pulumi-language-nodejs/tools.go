//go:build tools

// Package tools pins the Pulumi Node.js language host. It has no release tags, so it is pinned at
// a pseudo-version, with the pkg/sdk modules of its own era: it does not compile against newer ones.
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
)
