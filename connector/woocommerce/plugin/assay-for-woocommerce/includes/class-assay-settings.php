<?php
/**
 * The plugin's one option: Assay's URL, the store id and secret Assay gave at connect, a pending verifier.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads and writes the plugin's option (not autoloaded: it holds a secret).
 */
class Assay_Settings {
	const OPTION = 'assay_for_woocommerce';

	/**
	 * Every setting, with defaults.
	 *
	 * @return array{assay_url: string, store_id: int, secret: string, verifier: string}
	 */
	public static function all(): array {
		$saved = get_option( self::OPTION, array() );
		$saved = is_array( $saved ) ? $saved : array();
		return array(
			'assay_url' => (string) ( $saved['assay_url'] ?? '' ),
			'store_id'  => (int) ( $saved['store_id'] ?? 0 ),
			'secret'    => (string) ( $saved['secret'] ?? '' ),
			'verifier'  => (string) ( $saved['verifier'] ?? '' ),
		);
	}

	/**
	 * Change some settings, keeping the rest.
	 *
	 * @param array<string, mixed> $changes The settings to change.
	 */
	public static function update( array $changes ): void {
		update_option( self::OPTION, array_merge( self::all(), $changes ), false );
	}

	/**
	 * True once the plugin holds the secret Assay gave it.
	 */
	public static function connected(): bool {
		$all = self::all();
		return '' !== $all['assay_url'] && $all['store_id'] > 0 && '' !== $all['secret'];
	}

	/**
	 * Remove the option altogether (disconnect, uninstall).
	 */
	public static function delete(): void {
		delete_option( self::OPTION );
	}

	/**
	 * An Assay URL worth saving: https, or http only for this machine; '' otherwise.
	 *
	 * @param string $url What the merchant typed.
	 */
	public static function clean_assay_url( string $url ): string {
		$url   = untrailingslashit( esc_url_raw( trim( $url ), array( 'https', 'http' ) ) );
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || ! empty( $parts['query'] ) ) {
			return '';
		}
		$local = in_array( $parts['host'], array( '127.0.0.1', 'localhost' ), true );
		return ( 'https' === ( $parts['scheme'] ?? '' ) || $local ) ? $url : '';
	}
}
