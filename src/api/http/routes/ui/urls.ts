// The dashboard's addresses. Names and app ids are percent-encoded as path segments; the
// namespace goes in ?ns= only when it is not the server's default.

export interface AppRef {
  namespace: string;
  appId: string;
}

function nsQuery(ref: AppRef, defaultNamespace: string, more: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  if (ref.namespace !== defaultNamespace) params.set('ns', ref.namespace);
  for (const [k, v] of Object.entries(more)) if (v !== undefined && v !== '') params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function appUrl(ref: AppRef, defaultNamespace: string, query: Record<string, string | undefined> = {}): string {
  return `/ui/apps/${encodeURIComponent(ref.appId)}${nsQuery(ref, defaultNamespace, query)}`;
}

export function jobUrl(ref: AppRef, name: string, defaultNamespace: string, query: Record<string, string | undefined> = {}): string {
  return `/ui/apps/${encodeURIComponent(ref.appId)}/jobs/${encodeURIComponent(name)}${nsQuery(ref, defaultNamespace, query)}`;
}

/** Where a job action form posts (the namespace travels in the form's `ns` field). */
export function actionUrl(ref: AppRef, name: string, action: string): string {
  return `/ui/apps/${encodeURIComponent(ref.appId)}/jobs/${encodeURIComponent(name)}/${action}`;
}
