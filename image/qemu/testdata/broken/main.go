// Command broken is an init that exits at once, so the kernel panics: the
// boot test's stand-in for an update that never comes up.
package main

import "fmt"

func main() { fmt.Println("broken init: exiting") }
