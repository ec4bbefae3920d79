import type { ReactNode } from 'react';

/**
 * The top of a screen: its heading, which the router focuses on navigation (so it takes
 * focus from script, not from Tab), and the screen's actions beside it.
 */
export function ScreenHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="screen-header">
      <h1 tabIndex={-1}>{title}</h1>
      {children}
    </div>
  );
}
