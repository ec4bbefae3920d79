// Placeholder while this screen is being built.
export function DashboardScreen() {
  return <h1 tabIndex={-1}>DashboardScreen</h1>;
}
