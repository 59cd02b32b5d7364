// Package mehfooz holds the repository-wide checks of the Mehfooz handset
// firmware: one package doc per package, and the Go source rules that keep
// the tree reviewable. The firmware itself lives in the packages below it;
// docs/architecture.md is the map.
package mehfooz
