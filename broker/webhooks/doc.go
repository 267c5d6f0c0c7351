// Package webhooks sends the broker's webhooks. Policy holds the method, scheme and host
// allow-lists and guards against server-side request forgery: a webhook reaches only public
// addresses unless the host allow-list names it, checked when the webhook is saved and again
// on every connection, with the address actually dialled. Sender renders and sends one
// request and logs the attempt. Worker claims due deliveries from the database, sends them
// and retries failures on a schedule; the database holds every delivery's state, so a
// restart loses nothing and replicas sharing PostgreSQL send each delivery once.
package webhooks
