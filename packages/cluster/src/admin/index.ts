// Filled in by its own change; the client already installs it so that each area stays in its directory.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface AdminMethods<D extends boolean> {}

export function installAdminMethods(prototype: object): void {
  void prototype;
}
