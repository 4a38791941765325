//go:build go1.22

// go.mod says go 1.19 so that Go 1.19 and 1.21 build the generator (they
// write the old trace format). A toolchain takes its default GODEBUG
// settings from that line, so built with Go 1.22 or newer the module would
// get the pre-1.22 behaviour of the settings below; these directives restore
// what the `go 1.22` line the generator had before gave, so its traces from
// Go 1.22+ are what they were (`go version -m` on the binary lists these
// three explicitly, with the values they had by default). Loop variables do
// not depend on the line either: every closure started in a loop copies the
// variable it uses.

//go:debug httplaxcontentlength=0
//go:debug httpmuxgo121=0
//go:debug panicnil=0

package main
