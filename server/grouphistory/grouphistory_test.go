package grouphistory

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLimitAndTake(t *testing.T) {
	b := New(3, 0)
	for i := range 5 {
		b.Record("wa:g1", Entry{Sender: "Ann", Body: fmt.Sprint("m", i)})
	}
	if b.Len("wa:g1") != 3 {
		t.Fatalf("len %d", b.Len("wa:g1"))
	}
	h := b.Take("wa:g1")
	if len(h) != 3 || h[0].Body != "m2" || h[2].Body != "m4" {
		t.Fatalf("kept %+v", h)
	}
	if b.Len("wa:g1") != 0 {
		t.Fatal("take must clear")
	}
}

func TestMaxGroups(t *testing.T) {
	b := New(2, 2)
	b.Record("a", Entry{Body: "1"})
	b.Record("b", Entry{Body: "1"})
	b.Record("a", Entry{Body: "2"}) // a is now the most recent
	b.Record("c", Entry{Body: "1"})
	if b.Len("b") != 0 || b.Len("a") != 2 || b.Len("c") != 1 {
		t.Fatalf("a=%d b=%d c=%d", b.Len("a"), b.Len("b"), b.Len("c"))
	}
}

func TestDisabledAndLongBody(t *testing.T) {
	b := New(-1, 0)
	b.Record("a", Entry{Body: "x"})
	if b.Len("a") != 0 {
		t.Fatal("negative limit must disable")
	}
	b = New(0, 0)
	b.Record("a", Entry{Body: strings.Repeat("é", MaxEntryChars+10)})
	if got := []rune(b.Take("a")[0].Body); len(got) != MaxEntryChars+1 {
		t.Fatalf("body runes %d", len(got))
	}
}

func TestContextFormat(t *testing.T) {
	ts := time.Date(2026, 1, 24, 9, 5, 0, 0, time.UTC)
	h := []Entry{{Sender: "Ann", Body: "lunch?", Time: ts, MessageID: "M1"}, {Sender: "Bo", Body: "yes"}}
	got := Context("WhatsApp", "Team id:g1", h, "@bot where?")
	want := "[Chat messages since your last reply - for context]\n" +
		"[WhatsApp Team id:g1 2026-01-24T09:05Z] Ann: lunch?\n[message_id: M1]\n" +
		"[WhatsApp Team id:g1] Bo: yes\n" +
		"\n[Current message - respond to this]\n@bot where?"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if Context("WhatsApp", "", nil, "hi") != "hi" {
		t.Fatal("no history must leave the message alone")
	}
}

func TestConcurrent(t *testing.T) {
	b := New(10, 5)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				k := fmt.Sprint(i % 7)
				b.Record(k, Entry{Body: fmt.Sprint(j)})
				if j%10 == 0 {
					b.Take(k)
				}
			}
		}()
	}
	wg.Wait()
}

func TestSplitUndoesContext(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	full := Context("Telegram", "group:-1", []Entry{{Sender: "Ann", Body: "earlier", Time: at}}, "@bot hi")
	for _, tc := range []struct{ in, history, current string }{
		{full, full[:len(full)-len("@bot hi")], "@bot hi"},
		{"plain message", "", "plain message"},
		{HistoryMarker + " but no current marker", "", HistoryMarker + " but no current marker"},
	} {
		h, c := Split(tc.in)
		if h != tc.history || c != tc.current || h+c != tc.in {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", tc.in, h, c, tc.history, tc.current)
		}
	}
}
