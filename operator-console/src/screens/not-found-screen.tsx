// Placeholder while this screen is being built.
export function NotFoundScreen({ path }: { path: string }) {
  return <h1 tabIndex={-1}>NotFoundScreen</h1>;
}
