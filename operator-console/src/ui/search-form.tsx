import { useEffect, useId, useRef, type FormEvent } from 'react';

interface SearchFormProps {
  label: string;
  hint?: string;
  /** The search in force (e.g. from the address), shown in the box. */
  value?: string;
  /** The text to search for; '' for everything. */
  onSearch(text: string): void;
}

/** A search box that searches on Enter or with its button (one call per search, not per key). */
export function SearchForm({ label, hint, value = '', onSearch }: SearchFormProps) {
  const id = useId();
  // Typed freely (uncontrolled); a new search from outside (a link followed) replaces the text.
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (input.current && input.current.value !== value) input.current.value = value;
  }, [value]);
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onSearch(String(new FormData(event.currentTarget).get('search') ?? ''));
  }
  return (
    <form role="search" className="search" onSubmit={submit}>
      <label htmlFor={id}>{label}</label>
      <input
        ref={input}
        id={id}
        name="search"
        type="search"
        defaultValue={value}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <button type="submit" className="button secondary">
        Search
      </button>
      {hint && (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      )}
    </form>
  );
}
