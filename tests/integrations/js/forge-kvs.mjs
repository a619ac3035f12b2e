// Stand-in for @forge/kvs: the app's key-value storage, in memory for one test run.
const store = new Map();
export const kvs = {
  get: async (key) => store.get(key),
  set: async (key, value) => { store.set(key, value); },
  delete: async (key) => { store.delete(key); },
};
