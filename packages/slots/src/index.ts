// This layer is filled in by its own issue; the package exists now so that the workspace,
// the project references and the layering rules are in place from the start.
export {};
