// Placeholder while this screen is being built.
export function CustomerDetailScreen({ id }: { id: number }) {
  return <h1 tabIndex={-1}>CustomerDetailScreen</h1>;
}
