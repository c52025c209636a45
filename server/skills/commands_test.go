package skills

import (
	"strings"
	"testing"
)

func TestCommandSpecs(t *testing.T) {
	long := strings.Repeat("x", 40)
	list := []*Skill{
		{Name: "Weather Report!", Description: "weather", UserInvocable: true},
		{Name: "status", UserInvocable: true},
		{Name: "hidden", UserInvocable: false},
		{Name: "weather_report", Description: strings.Repeat("d", 150), UserInvocable: true},
		{Name: "???", UserInvocable: true},
		{Name: long, UserInvocable: true},
		{Name: long + "y", UserInvocable: true},
	}
	got := CommandSpecs(list, []string{"status", "skill"})
	want := []string{"weather_report", "status_2", "weather_report_2", "skill_2", long[:32], long[:30] + "_2"}
	if len(got) != len(want) {
		t.Fatalf("specs %+v", got)
	}
	for i, w := range want {
		if got[i].Name != w {
			t.Errorf("spec %d = %q; want %q", i, got[i].Name, w)
		}
	}
	if got[1].Description != "status" || len([]rune(got[2].Description)) != MaxCommandDescription || !strings.HasSuffix(got[2].Description, "…") {
		t.Errorf("descriptions %q / %q", got[1].Description, got[2].Description)
	}
}
