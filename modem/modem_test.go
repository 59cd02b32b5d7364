package modem

import (
	"testing"
)

func TestBringUpEG25(t *testing.T) {
	r := newRig(t)
	st := r.waitPhase(PhaseDataUp)
	if st.SIM != SIMReady || st.PLMN != "41001" || st.Operator != "Jazz" || st.RAT != "LTE" || st.APN != "gov.secure.jazz" || st.IP == "" {
		t.Errorf("status %+v", st)
	}
	t.Logf("status %+v", st)
	t.Logf("sim %+v", r.sim.Status())
}
