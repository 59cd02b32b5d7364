package board

import (
	"context"
	"errors"
	"testing"
)

func TestNoPowerReportsUnsupported(t *testing.T) {
	var p Power = NoPower{}
	ctx := context.Background()
	for name, op := range map[string]func(context.Context) error{
		"On": p.On, "Off": p.Off, "Reset": p.Reset, "Cycle": p.Cycle,
	} {
		if err := op(ctx); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("NoPower.%s() = %v, want errors.ErrUnsupported", name, err)
		}
	}
}
