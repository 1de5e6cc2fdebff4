package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a server under test, run as a child process so that its memory is
// its own.
type proc struct {
	name      string
	cmd       *exec.Cmd
	base      string // http://127.0.0.1:port
	readyPath string // /readyz, or /healthz where /readyz is not served
	readyMS   float64
	idleKiB   int64
	peakKiB   int64 // the largest VmHWM seen over the phases
	logPath   string
	exited    chan struct{}
}

// freeAddr picks a free loopback port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProc starts argv with env, its output in logPath, and waits until
// /readyz (else /healthz) answers 200: the time from exec to that answer is
// its start-to-ready time. Idle RSS is read after a short quiet period.
func startProc(ctx context.Context, name string, argv, env []string, addr, logPath string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the harness
	p := &proc{name: name, cmd: cmd, base: "http://" + addr, logPath: logPath, exited: make(chan struct{})}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	if err := p.waitReady(ctx, t0); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %w (log: %s)", name, err, tail(logPath))
	}
	p.readyMS = ms(time.Since(t0))
	time.Sleep(500 * time.Millisecond)
	p.idleKiB = p.status("VmRSS")
	return p, nil
}

func (p *proc) waitReady(ctx context.Context, t0 time.Time) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	path := "/readyz"
	for time.Since(t0) < 15*time.Second {
		select {
		case <-p.exited:
			return fmt.Errorf("exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get(p.base + path)
		if err == nil {
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusOK:
				p.readyPath = path
				return nil
			case resp.StatusCode == http.StatusNotFound && path == "/readyz":
				path = "/healthz" // no /readyz in this build
				continue
			}
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("not ready after 15s")
}

// resetPeak resets the kernel's peak-RSS mark (VmHWM) so that the next phase
// reads its own peak; it reports whether the kernel allowed it.
func (p *proc) resetPeak() bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0) == nil
}

// status reads a kB field of /proc/<pid>/status (VmRSS, VmHWM).
func (p *proc) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// stop sends SIGTERM and waits up to 15 s for a graceful exit, then kills.
func (p *proc) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tail is the end of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.TrimSpace(string(b))
}

// countLines counts the log lines containing s (e.g. level=ERROR).
func countLines(path, s string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			n++
		}
	}
	return n
}

// cpuSeconds is the user+system CPU time a process has used (/proc/<pid>/stat,
// in clock ticks of 1/100 s); pid 0 is the harness itself.
func cpuSeconds(pid int) float64 {
	path := "/proc/self/stat"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s) // f[0] is field 3 (state): utime is field 14, stime 15
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// machineBusySeconds is the CPU time all processes have used (/proc/stat):
// what neither the server nor the harness used was used by someone else on the
// machine, which makes a run's figures unreliable.
func machineBusySeconds() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 {
		return 0
	}
	var busy float64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseFloat(f[i], 64)
		busy += v
	}
	return busy / 100
}
