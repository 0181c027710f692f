// Filled in by its own change; the client already installs it so that each area stays in its directory.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface TransactionMethods<D extends boolean> {}

export function installTransactionMethods(prototype: object): void {
  void prototype;
}
