package pid1

// hardening are the kernel settings phoned applies once its modules are
// loaded. Each closes a path an attacker with code execution on the phone
// could use to persist or to read the kernel (Documentation/admin-guide/
// sysctl/kernel.rst, fs.rst).
var hardening = []struct{ name, value string }{
	{"kernel/kptr_restrict", "2"},       // no kernel pointers in /proc, even for root
	{"kernel/dmesg_restrict", "1"},      // no kernel log for unprivileged readers
	{"kernel/kexec_load_disabled", "1"}, // no booting an unsigned kernel through kexec
	{"kernel/yama/ptrace_scope", "3"},   // no ptrace at all: nothing may read the call keys of phoned
	{"kernel/unprivileged_bpf_disabled", "1"},
	{"kernel/perf_event_paranoid", "3"},
	{"fs/protected_symlinks", "1"},
	{"fs/protected_hardlinks", "1"},
	{"fs/suid_dumpable", "0"},
	// Last: after it no module can be loaded until reboot, so a
	// compromised phoned cannot insert a kernel rootkit.
	{"kernel/modules_disabled", "1"},
}
