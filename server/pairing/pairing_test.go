package pairing

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newStore(t *testing.T) (*Store, *clock, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "credentials")
	c := &clock{t: time.Date(2026, 1, 24, 10, 0, 0, 0, time.UTC)}
	s, err := New(Options{Dir: dir, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, dir
}

func TestCodeShape(t *testing.T) {
	s, _, _ := newStore(t)
	seen := map[string]bool{}
	for i := range DefaultMaxPending {
		code, created, err := s.Upsert("telegram", fmt.Sprint(100+i), nil)
		if err != nil || !created {
			t.Fatalf("upsert %d: %q %v %v", i, code, created, err)
		}
		if len(code) != CodeLength {
			t.Fatalf("code %q: length %d", code, len(code))
		}
		for _, r := range code {
			if !strings.ContainsRune(CodeAlphabet, r) {
				t.Fatalf("code %q has %q outside the alphabet", code, r)
			}
		}
		if seen[code] {
			t.Fatalf("duplicate code %q", code)
		}
		seen[code] = true
	}
	if strings.ContainsAny(CodeAlphabet, "01OI") {
		t.Fatal("alphabet has look-alikes")
	}
}

func TestUpsertOncePerSenderAndExpiry(t *testing.T) {
	s, c, _ := newStore(t)
	code, created, err := s.Upsert("whatsapp", "+15550001", map[string]string{"name": " Ann ", "empty": " "})
	if err != nil || !created || code == "" {
		t.Fatalf("first: %q %v %v", code, created, err)
	}
	c.Add(30 * time.Minute)
	again, created, err := s.Upsert("whatsapp", "+15550001", nil)
	if err != nil || created || again != code {
		t.Fatalf("second message must reuse the code and not ask to send it: %q %v %v", again, created, err)
	}
	list, _ := s.List("whatsapp")
	if len(list) != 1 || list[0].Meta["name"] != "Ann" || len(list[0].Meta) != 1 || list[0].LastSeenAt == list[0].CreatedAt {
		t.Fatalf("list: %+v", list)
	}
	// Expiry counts from creation, not last sight.
	c.Add(DefaultTTL - 30*time.Minute + time.Second)
	if list, _ := s.List("whatsapp"); len(list) != 0 {
		t.Fatalf("expired request still listed: %+v", list)
	}
	fresh, created, err := s.Upsert("whatsapp", "+15550001", nil)
	if err != nil || !created || fresh == "" {
		t.Fatalf("after expiry the sender gets a new code: %q %v %v", fresh, created, err)
	}
	if _, err := s.Approve("whatsapp", code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired code approved: %v", err)
	}
}

func TestMaxPending(t *testing.T) {
	for _, max := range []int{1, DefaultMaxPending, 5} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			c := &clock{t: time.Unix(1e9, 0)}
			s, _ := New(Options{Dir: t.TempDir(), Now: c.Now, MaxPending: max})
			for i := range max {
				if _, created, err := s.Upsert("telegram", fmt.Sprint(i), nil); err != nil || !created {
					t.Fatalf("%d: %v %v", i, created, err)
				}
				c.Add(time.Second)
			}
			code, created, err := s.Upsert("telegram", "overflow", nil)
			if err != nil || created || code != "" {
				t.Fatalf("over the limit: %q %v %v", code, created, err)
			}
			list, _ := s.List("telegram")
			if len(list) != max {
				t.Fatalf("pending %d, want %d", len(list), max)
			}
			// Deciding one frees a slot.
			if _, err := s.Reject("telegram", list[0].Code); err != nil {
				t.Fatal(err)
			}
			if _, created, _ := s.Upsert("telegram", "overflow", nil); !created {
				t.Fatal("slot not freed by reject")
			}
		})
	}
}

func TestApproveRejectAndFiles(t *testing.T) {
	s, _, dir := newStore(t)
	code, _, _ := s.Upsert("telegram", "4242", map[string]string{"username": "ann"})
	if ok, _ := s.Allowed("telegram", "4242"); ok {
		t.Fatal("allowed before approval")
	}
	if _, err := s.Approve("telegram", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
	r, err := s.Approve("telegram", strings.ToLower(code))
	if err != nil || r.ID != "4242" {
		t.Fatalf("approve: %+v %v", r, err)
	}
	if ok, _ := s.Allowed("telegram", "tg:4242"); !ok {
		t.Fatal("not allowed after approval")
	}
	if _, err := s.Approve("telegram", code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("code approved twice: %v", err)
	}
	code2, _, _ := s.Upsert("telegram", "777", nil)
	if _, err := s.Reject("telegram", code2); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Allowed("telegram", "777"); ok {
		t.Fatal("rejected sender allowed")
	}
	for _, name := range []string{"telegram-pairing.json", "telegram-allowFrom.json"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v", name, st.Mode().Perm())
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "telegram-allowFrom.json"))
	if string(b) != "{\n  \"version\": 1,\n  \"allowFrom\": [\n    \"4242\"\n  ]\n}\n" {
		t.Fatalf("allowFrom file:\n%s", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("left-over files (lock or temp): %v", entries)
	}
}

// An original gateway's files are read as they are.
func TestReadsOriginalFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)
	os.WriteFile(filepath.Join(dir, "whatsapp-allowFrom.json"), []byte(`{"version":1,"allowFrom":["+15551112222"," +15551112222 ","*"]}`), 0o600)
	os.WriteFile(filepath.Join(dir, "whatsapp-pairing.json"), []byte(`{"version":1,"requests":[
	 {"id":"+15553334444","code":"ABCD2345","createdAt":"2026-01-24T11:30:00.000Z","lastSeenAt":"2026-01-24T11:31:00.000Z","meta":{"name":"Bo"}},
	 {"id":"+15559990000","code":"ZZZZ9999","createdAt":"2026-01-24T09:00:00.000Z","lastSeenAt":"2026-01-24T09:00:00.000Z"}]}`), 0o600)
	s, _ := New(Options{Dir: dir, Now: func() time.Time { return now }})
	list, err := s.AllowFrom("whatsapp")
	if err != nil || len(list) != 1 || list[0] != "+15551112222" {
		t.Fatalf("allowFrom %v %v", list, err)
	}
	reqs, err := s.List("WhatsApp")
	if err != nil || len(reqs) != 1 || reqs[0].Code != "ABCD2345" || reqs[0].Meta["name"] != "Bo" {
		t.Fatalf("requests %+v %v", reqs, err)
	}
	if r, err := s.Approve("whatsapp", "abcd2345"); err != nil || r.ID != "+15553334444" {
		t.Fatalf("approve %+v %v", r, err)
	}
	var f allowFile
	b, _ := os.ReadFile(filepath.Join(dir, "whatsapp-allowFrom.json"))
	json.Unmarshal(b, &f)
	if len(f.AllowFrom) != 2 || f.Version != 1 {
		t.Fatalf("after approve: %s", b)
	}
}

func TestCorruptFileIsAnErrorAndKept(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "telegram-allowFrom.json")
	os.WriteFile(p, []byte("{not json"), 0o600)
	s, _ := New(Options{Dir: dir})
	if _, err := s.AllowFrom("telegram"); err == nil {
		t.Fatal("corrupt file read as empty")
	}
	if _, err := s.AddAllowFrom("telegram", "1"); err == nil {
		t.Fatal("corrupt file overwritten")
	}
	if b, _ := os.ReadFile(p); string(b) != "{not json" {
		t.Fatalf("file changed: %s", b)
	}
}

func TestBadChannel(t *testing.T) {
	s, _, _ := newStore(t)
	for _, ch := range []string{"", "../x", "a/b", "tele gram", strings.Repeat("a", 65)} {
		if _, _, err := s.Upsert(ch, "1", nil); !errors.Is(err, ErrBadChannel) {
			t.Errorf("%q: %v", ch, err)
		}
	}
}

func TestStaleLockBroken(t *testing.T) {
	s, _, dir := newStore(t)
	os.MkdirAll(dir, 0o700)
	lock := filepath.Join(dir, "telegram-pairing.json.lock")
	os.Mkdir(lock, 0o700)
	old := time.Now().Add(-2 * LockStale)
	os.Chtimes(lock, old, old)
	if _, _, err := s.Upsert("telegram", "1", nil); err != nil {
		t.Fatal(err)
	}
}

// Two stores on one directory (the CLI and the gateway) never lose a write.
func TestConcurrentStores(t *testing.T) {
	dir := t.TempDir()
	a, _ := New(Options{Dir: dir})
	b, _ := New(Options{Dir: dir})
	var wg sync.WaitGroup
	const n = 20
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := a
			if i%2 == 1 {
				st = b
			}
			if _, err := st.AddAllowFrom("whatsapp", fmt.Sprintf("+1555%04d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	list, err := a.AllowFrom("whatsapp")
	if err != nil || len(list) != n {
		t.Fatalf("%d entries, want %d (%v)", len(list), n, err)
	}
}

func TestCredentialsDir(t *testing.T) {
	if got := CredentialsDir("/s", nil); got != "/s/credentials" {
		t.Fatal(got)
	}
	env := func(k string) string {
		if k == EnvCredentialsDir {
			return "/elsewhere"
		}
		return ""
	}
	if got := CredentialsDir("/s", env); got != "/elsewhere" {
		t.Fatal(got)
	}
}
