package gates

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // time zones must not depend on the host's files

	"gopkg.in/yaml.v3"
)

// window: changes only inside the allow windows (when any are given) and never inside a deny
// window: deny beats allow. Outside, the gate is pending until the next opening, which it
// reports.
//
//	gates:
//	  - type: window
//	    timezone: Europe/Berlin
//	    allow:
//	      - {days: [mon, tue, wed, thu], from: "09:00", to: "16:00"}
//	    deny:
//	      - {name: year-end, start: 2026-12-20T00:00:00+01:00, end: 2027-01-04T00:00:00+01:00}
func init() {
	register("window", []string{"timezone", "allow", "deny"}, func(s *GateSpec, c *compileContext) Gate {
		if len(s.Allow) == 0 && len(s.Deny) == 0 {
			c.failField("", "gives no windows: list allow windows, deny windows or both")
		}
		loc := time.UTC
		if s.Timezone != "" {
			var err error
			if loc, err = time.LoadLocation(s.Timezone); err != nil {
				c.failField("timezone", "%q is not a time zone such as Europe/Berlin or UTC", s.Timezone)
				loc = time.UTC
			}
		}
		return windowGate{loc: loc, allow: compileWindows(s.Allow), deny: compileWindows(s.Deny)}
	})
}

var clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// weekday reads a day of the week, by its name or its first three letters.
func weekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		full := strings.ToLower(d.String())
		if s == full || s == full[:3] {
			return d, true
		}
	}
	return 0, false
}

// checkWindow: a window is recurring (days, from, to) or absolute (start, end), not both.
func (r *reader) checkWindow(field string, n *yaml.Node, w Window) {
	recurring := len(w.Days) > 0 || w.From != "" || w.To != ""
	absolute := w.Start != nil || w.End != nil
	switch {
	case recurring && absolute:
		r.fail(field, n, "is either recurring (days, from, to) or absolute (start, end), not both")
	case absolute:
		if w.Start == nil || w.End == nil {
			r.fail(field, n, "an absolute window needs both start and end")
		} else if !w.Start.Before(*w.End) {
			r.fail(field+".end", n, "must be after start")
		}
	case recurring:
		for i, d := range w.Days {
			if _, ok := weekday(d); !ok {
				r.fail(fmt.Sprintf("%s.days.%d", field, i), n, "%q is not a day: mon, tue, wed, thu, fri, sat or sun", d)
			}
		}
		if w.From != "" && !clockPattern.MatchString(w.From) {
			r.fail(field+".from", n, "%q is not a time of day such as 09:00", w.From)
		}
		if w.To != "" && w.To != "24:00" && !clockPattern.MatchString(w.To) {
			r.fail(field+".to", n, "%q is not a time of day such as 17:30 (or 24:00)", w.To)
		}
	default:
		r.fail(field, n, "is empty: give days, from and to, or start and end")
	}
}

// span is a compiled window.
type span struct {
	name     string
	days     map[time.Weekday]bool // empty: every day
	from, to time.Duration         // since midnight; to <= from runs past midnight
	start    *time.Time
	end      *time.Time
}

func clock(s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	var h, m int
	fmt.Sscanf(s, "%d:%d", &h, &m)
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
}

func compileWindows(ws []Window) []span {
	out := make([]span, 0, len(ws))
	for _, w := range ws {
		if (w.Start == nil) != (w.End == nil) {
			continue // refused by checkWindow
		}
		s := span{name: w.Name, start: w.Start, end: w.End, days: map[time.Weekday]bool{}}
		for _, d := range w.Days {
			if wd, ok := weekday(d); ok {
				s.days[wd] = true
			}
		}
		s.from, s.to = clock(w.From, 0), clock(w.To, 24*time.Hour)
		out = append(out, s)
	}
	return out
}

// occurrence is the stay of a recurring span that starts on a date, if it runs that day.
func (s span) occurrence(day time.Time, loc *time.Location) (start, end time.Time, ok bool) {
	if len(s.days) > 0 && !s.days[day.Weekday()] {
		return start, end, false
	}
	y, m, d := day.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	start = wallClock(midnight, s.from, loc)
	length := s.to - s.from
	if length <= 0 {
		length += 24 * time.Hour
	}
	end = wallClock(midnight, s.from+length, loc)
	return start, end, true
}

// wallClock is midnight plus a wall-clock offset, so days with a DST change keep their times of day.
func wallClock(midnight time.Time, offset time.Duration, loc *time.Location) time.Time {
	y, m, d := midnight.Date()
	return time.Date(y, m, d, int(offset/time.Hour), int(offset%time.Hour/time.Minute), 0, 0, loc)
}

func (s span) contains(t time.Time, loc *time.Location) bool {
	if s.start != nil {
		return !t.Before(*s.start) && t.Before(*s.end)
	}
	local := t.In(loc)
	for _, day := range []time.Time{local.AddDate(0, 0, -1), local} {
		if start, end, ok := s.occurrence(day, loc); ok && !t.Before(start) && t.Before(end) {
			return true
		}
	}
	return false
}

func (s span) label() string {
	if s.name != "" {
		return "the " + s.name + " window"
	}
	return "a window"
}

type windowGate struct {
	loc   *time.Location
	allow []span
	deny  []span
}

// closedBy is why the gate is closed at t ("" when open).
func (g windowGate) closedBy(t time.Time) string {
	for _, s := range g.deny {
		if s.contains(t, g.loc) {
			return "inside " + s.label() + " (deny)"
		}
	}
	if len(g.allow) == 0 {
		return ""
	}
	for _, s := range g.allow {
		if s.contains(t, g.loc) {
			return ""
		}
	}
	return "outside every allow window"
}

// horizon bounds the search for the next opening or closing.
const horizon = 400

// boundaries are the instants after now at which the gate may open or close, in order.
func (g windowGate) boundaries(now time.Time) []time.Time {
	var out []time.Time
	add := func(t time.Time) {
		if t.After(now) {
			out = append(out, t)
		}
	}
	local := now.In(g.loc)
	for _, s := range append(append([]span{}, g.allow...), g.deny...) {
		if s.start != nil {
			add(*s.start)
			add(*s.end)
			continue
		}
		for i := -1; i <= horizon; i++ {
			if start, end, ok := s.occurrence(local.AddDate(0, 0, i), g.loc); ok {
				add(start)
				add(end)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

func (g windowGate) Evaluate(e *Evaluation) GateResult {
	why := g.closedBy(e.Now)
	if why == "" {
		for _, b := range g.boundaries(e.Now) {
			if g.closedBy(b) != "" {
				return allow("open until %s", e.at(b))
			}
		}
		return allow("open")
	}
	for _, b := range g.boundaries(e.Now) {
		if g.closedBy(b) == "" {
			open := b.UTC()
			return pending(&open, "time: the window opens at "+e.at(open), "closed, %s; the next opening is %s", why, e.at(open))
		}
	}
	return deny("the policy's owners: change the windows (treaty gate apply)", "closed, %s, and no opening within %d days", why, horizon)
}
