// The peers' key-slot functions, typed as far as the slot benchmark calls them.
declare module 'cluster-key-slot' {
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
