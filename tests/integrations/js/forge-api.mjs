// Stand-in for @forge/api in the Jira Service Management guide's test: requestJira goes to the
// fake help desk at FAKE_JIRA_URL; `route` encodes what it interpolates, as Forge's does.
export function route(strings, ...values) {
  return strings.reduce((out, text, i) => out + text + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
}

const api = {
  asApp() {
    return { requestJira: (path, init) => fetch(process.env.FAKE_JIRA_URL + path, init) };
  },
};
export default api;
