import { createContext, useContext } from 'react';
import type { ApiClients } from './clients';

export const ApiContext = createContext<ApiClients | undefined>(undefined);

/** The typed clients of the three APIs, with the operator's session. */
export function useApi(): ApiClients {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
}
