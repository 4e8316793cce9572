#!/usr/bin/env node
// Entry point. Parses argv first; imports the UI (Ink, React) lazily, only when a terminal wizard or view is needed.
console.log('kubeup: under construction');
