package deploy

// SetBeforePush runs f before each push of g, so a test can be another writer at the worst
// moment.
func SetBeforePush(g *GitOps, f func(attempt int)) { g.beforePush = f }
