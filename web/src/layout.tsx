// The dashboard frame: top bar (namespace selector, the signed-in user), sidebar (the dashboard's
// own pages, then menuLinks and externalLinks) and the error banner; and what every page's cards
// show: the loading note and the table. All of it is in the first load (the tokens page and the
// loading of the other pages use it too).
// Components receive a `resolve` function so that every rendered link goes through the same
// resolveLink() (namespace filling, iframe or not, new tab or not).

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Identity } from './api';
import { Icon } from './icons';
import { pageKey, type DashboardLinks, type LinkTarget, type MenuItem } from './links';
import { isPlainClick, navigate } from './router';

export type Resolve = (link: string, iframe?: boolean) => LinkTarget;

interface SmartLinkProps {
  target: LinkTarget;
  class?: string;
  current?: boolean;
  onFollow?: () => void;
  children: ComponentChildren;
}

/** An <a> that the router handles for dashboard routes and the browser handles otherwise. */
export function SmartLink({ target, class: className, current, onFollow, children }: SmartLinkProps) {
  const onClick = (e: MouseEvent) => {
    if (!isPlainClick(e)) return;
    onFollow?.();
    if (target.mode !== 'spa') return;
    e.preventDefault();
    navigate(target.href);
  };
  const tab = target.mode === 'tab';
  return (
    <a
      href={target.href}
      class={className}
      aria-current={current ? 'page' : undefined}
      target={tab ? '_blank' : undefined}
      rel={tab ? 'noopener noreferrer' : undefined}
      onClick={onClick}
    >
      {children}
    </a>
  );
}

interface TopBarProps {
  homeHref: string;
  /** null while /api/whoami is pending (or failed): the bar then shows no user. */
  user: Identity | null;
  navOpen: boolean;
  onToggleNav: () => void;
  /** The namespace selector (or its empty state), beside the brand. */
  picker?: ComponentChildren;
}

export function TopBar({ homeHref, user, navOpen, onToggleNav, picker }: TopBarProps) {
  return (
    <header class="topbar">
      <button
        type="button"
        class="icon-button"
        aria-label={navOpen ? 'Hide navigation' : 'Show navigation'}
        aria-expanded={navOpen}
        aria-controls="sidebar"
        onClick={onToggleNav}
      >
        <Icon name="menu" />
      </button>
      <SmartLink target={{ href: homeHref, mode: 'spa' }} class="brand">
        kfdash
      </SmartLink>
      {picker}
      <div class="topbar-spacer" />
      <div class="topbar-user" id="topbar-user">
        {user && (
          <>
            <span class="visually-hidden">Signed in as </span>
            <span class="user-email" data-testid="user-email" title={user.email}>
              {user.email}
            </span>
            {/* A plain link: signing out is a full-page GET the server answers with a redirect. */}
            <a class="sign-out" href="/auth/logout" data-testid="sign-out">
              Sign out
            </a>
          </>
        )}
      </div>
    </header>
  );
}

/** One of the dashboard's own pages in the sidebar, above the configured menu. */
export interface OwnPage {
  href: string;
  /** The route's pathname: the entry is current there. */
  path: string;
  icon: string;
  text: string;
}

interface SidebarProps {
  links: DashboardLinks;
  resolve: Resolve;
  location: string;
  /** Home, then the dashboard's own pages that apply to this user. */
  own: OwnPage[];
  open: boolean;
  onFollow: () => void;
}

function isCurrent(target: LinkTarget, location: string): boolean {
  return target.mode === 'spa' && pageKey(target.href) === pageKey(location);
}

function ItemLink({ item, resolve, location, onFollow, nested }: {
  item: MenuItem;
  resolve: Resolve;
  location: string;
  onFollow: () => void;
  nested?: boolean;
}) {
  const target = resolve(item.link, item.iframe);
  // Its application did not answer (app_probe.ts): still a link, in case it comes up, but marked.
  const down = item.unavailable === true;
  return (
    <li title={down ? `Not installed: nothing answers at ${item.link.split(/[?#]/, 1)[0]}` : undefined}>
      <SmartLink
        target={target}
        class={`nav-link${nested ? ' nested' : ''}${down ? ' unavailable' : ''}`}
        current={isCurrent(target, location)}
        onFollow={onFollow}
      >
        {(item.icon || !nested || target.mode === 'tab') && (
          <Icon name={item.icon ?? (target.mode === 'tab' ? 'launch' : undefined)} />
        )}
        <span class="nav-text">{item.text}</span>
        {down && (
          <span class="nav-badge" aria-hidden="true" data-testid="not-installed">
            not installed
          </span>
        )}
        {target.mode === 'tab' && <span class="visually-hidden"> (opens in a new tab)</span>}
      </SmartLink>
    </li>
  );
}

/** One of the dashboard's own pages (not from the dashboard-config ConfigMap). */
function OwnLink({ href, icon, text, current, onFollow }: {
  href: string;
  icon: string;
  text: string;
  current: boolean;
  onFollow: () => void;
}) {
  return (
    <li>
      <SmartLink target={{ href, mode: 'spa' }} class="nav-link" current={current} onFollow={onFollow}>
        <Icon name={icon} />
        <span class="nav-text">{text}</span>
      </SmartLink>
    </li>
  );
}

export function Sidebar({ links, resolve, location, own, open, onFollow }: SidebarProps) {
  // Explicit user choices per section; a section holding the current page starts open.
  const [expanded, setExpanded] = useState<Record<number, boolean>>({});
  const path = location.split(/[?#]/, 1)[0];
  return (
    <aside id="sidebar" class={open ? 'sidebar open' : 'sidebar'} aria-label="Sidebar">
      <nav aria-label="Main menu">
        <ul class="nav-list">
          {own.map((page) => (
            <OwnLink
              key={page.path}
              href={page.href}
              icon={page.icon}
              text={page.text}
              current={path === page.path}
              onFollow={onFollow}
            />
          ))}
          {links.menuLinks.map((entry, index) => {
            if (entry.type === 'item') {
              return <ItemLink key={index} item={entry} resolve={resolve} location={location} onFollow={onFollow} />;
            }
            const holdsCurrent = entry.items.some((i) => isCurrent(resolve(i.link, i.iframe), location));
            const isOpen = expanded[index] ?? holdsCurrent;
            const id = `nav-section-${index}`;
            return (
              <li key={index} class="nav-section">
                <button
                  type="button"
                  class="nav-link section-toggle"
                  aria-expanded={isOpen}
                  aria-controls={id}
                  onClick={() => setExpanded({ ...expanded, [index]: !isOpen })}
                >
                  <Icon name={entry.icon} />
                  <span class="nav-text">{entry.text}</span>
                  <Icon name="expand-more" class="chevron" />
                </button>
                <ul id={id} class="nav-list" hidden={!isOpen}>
                  {entry.items.map((item, i) => (
                    <ItemLink key={i} item={item} resolve={resolve} location={location} onFollow={onFollow} nested />
                  ))}
                </ul>
              </li>
            );
          })}
        </ul>
      </nav>
      {links.externalLinks.length > 0 && (
        <>
          <hr class="nav-divider" />
          <nav aria-label="External links">
            <ul class="nav-list">
              {links.externalLinks.map((item, index) => (
                <ItemLink key={index} item={item} resolve={resolve} location={location} onFollow={onFollow} />
              ))}
            </ul>
          </nav>
        </>
      )}
    </aside>
  );
}

export function ErrorBanner({ messages, onDismiss }: { messages: string[]; onDismiss: () => void }) {
  if (messages.length === 0) return null;
  return (
    <div class="error-banner" role="alert">
      <Icon name="error" />
      <div class="error-text">
        {messages.map((m) => (
          <p key={m}>{m}</p>
        ))}
      </div>
      <button type="button" class="icon-button" aria-label="Dismiss error" onClick={onDismiss}>
        <Icon name="close" />
      </button>
    </div>
  );
}

/**
 * The note a card shows until its data is there: "Loading…", or the text `failed` once loading
 * failed (then it is no longer busy).
 */
export function Loading({ failed }: { failed?: string | false }) {
  if (failed) return <p class="card-note">{failed}</p>;
  return (
    <p class="card-note" aria-busy="true">
      Loading…
    </p>
  );
}

/**
 * A table in its scroll box (a narrow screen scrolls the table, not the page), named by the heading
 * whose id is `labelledBy`, with a header row of `columns`; `actions` adds a last column for the
 * rows' buttons, named for assistive technology only. `class` is added to "table". The rows
 * (<tr>s) are the children.
 */
export function Table({ labelledBy, class: variant, columns, actions, children }: {
  labelledBy: string;
  class?: string;
  columns: string[];
  actions?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class="table-scroll">
      <table class={variant ? `table ${variant}` : 'table'} aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
