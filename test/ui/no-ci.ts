// Ink draws only the final frame when CI is set (its is-in-ci check, read when Ink loads). The UI tests read every
// frame, as a person at a terminal sees them, so they run as outside CI even in a CI job.
delete process.env.CI;
