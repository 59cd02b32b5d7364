package jitter

import (
	"testing"

	"mehfooz/internal/leak"
)

func checkGoroutines(t *testing.T) { t.Helper(); leak.Check(t) }
