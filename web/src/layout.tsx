// The dashboard frame: top bar, sidebar (Home, menuLinks, externalLinks) and the error banner.
// Components receive a `resolve` function so that every rendered link goes through the same
// resolveLink() (namespace filling, iframe or not, new tab or not).

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
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
  navOpen: boolean;
  onToggleNav: () => void;
}

export function TopBar({ homeHref, navOpen, onToggleNav }: TopBarProps) {
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
      <div class="topbar-spacer" />
      {/* Filled by the identity issue (user email + logout); intentionally empty here. */}
      <div class="topbar-user" id="topbar-user" />
    </header>
  );
}

interface SidebarProps {
  links: DashboardLinks;
  resolve: Resolve;
  location: string;
  homeHref: string;
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
  return (
    <li>
      <SmartLink
        target={target}
        class={nested ? 'nav-link nested' : 'nav-link'}
        current={isCurrent(target, location)}
        onFollow={onFollow}
      >
        {(item.icon || !nested || target.mode === 'tab') && (
          <Icon name={item.icon ?? (target.mode === 'tab' ? 'launch' : undefined)} />
        )}
        <span class="nav-text">{item.text}</span>
        {target.mode === 'tab' && <span class="visually-hidden"> (opens in a new tab)</span>}
      </SmartLink>
    </li>
  );
}

export function Sidebar({ links, resolve, location, homeHref, open, onFollow }: SidebarProps) {
  // Explicit user choices per section; a section holding the current page starts open.
  const [expanded, setExpanded] = useState<Record<number, boolean>>({});
  const path = location.split(/[?#]/, 1)[0];
  return (
    <aside id="sidebar" class={open ? 'sidebar open' : 'sidebar'} aria-label="Sidebar">
      <nav aria-label="Main menu">
        <ul class="nav-list">
          <li>
            <SmartLink
              target={{ href: homeHref, mode: 'spa' }}
              class="nav-link"
              current={path === '/'}
              onFollow={onFollow}
            >
              <Icon name="home" />
              <span class="nav-text">Home</span>
            </SmartLink>
          </li>
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
