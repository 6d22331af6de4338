package client

// Version of this client and of the switchyard.v1 API it was generated
// from: the repository's VERSION, stamped by scripts/release/set-version.sh
// into every client (TypeScript, Python, Go).
const Version = "0.1.0"
