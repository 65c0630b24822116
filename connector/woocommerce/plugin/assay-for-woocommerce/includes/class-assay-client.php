<?php
/**
 * Talking to Assay, server to server: the connect URL, the secret's claim, signed requests, the customer's form.
 *
 * A signed request carries X-Assay-Store, X-Assay-Timestamp, X-Assay-Nonce and X-Assay-Signature =
 * hex(HMAC-SHA256(secret, "METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(SHA-256(body))")), as Assay's connector/woocommerce/verify.py checks.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * One Assay, one store.
 */
class Assay_Client {
	/**
	 * Seconds to wait for Assay on a request whose answer the person is waiting for (connect, send, disconnect).
	 */
	const TIMEOUT = 10;

	/**
	 * Seconds to wait for a read that only adds to a page (the store's status, a decision): a page never hangs on it.
	 */
	const READ_TIMEOUT = 3;

	/**
	 * Assay's base URL, without a trailing slash.
	 *
	 * @var string
	 */
	private $assay_url;

	/**
	 * The store's id at Assay (0 before connect).
	 *
	 * @var int
	 */
	private $store_id;

	/**
	 * The secret Assay gave at connect ('' before).
	 *
	 * @var string
	 */
	private $secret;

	/**
	 * A client of the given Assay, as this store.
	 *
	 * @param string $assay_url Assay's base URL.
	 * @param int    $store_id  The store's id at Assay.
	 * @param string $secret    The plugin's secret.
	 */
	public function __construct( string $assay_url, int $store_id = 0, string $secret = '' ) {
		$this->assay_url = untrailingslashit( $assay_url );
		$this->store_id  = $store_id;
		$this->secret    = $secret;
	}

	/**
	 * The client the saved settings describe.
	 */
	public static function from_settings(): self {
		$settings = Assay_Settings::all();
		return new self( $settings['assay_url'], $settings['store_id'], $settings['secret'] );
	}

	/**
	 * A new PKCE verifier: 64 base64url characters, kept on the site only.
	 */
	public static function new_verifier(): string {
		return self::base64url( random_bytes( 48 ) );
	}

	/**
	 * PKCE's S256 challenge of a verifier, which is what travels through the browser.
	 *
	 * @param string $verifier The verifier.
	 */
	public static function challenge( string $verifier ): string {
		return self::base64url( hash( 'sha256', $verifier, true ) );
	}

	/**
	 * Where the merchant's browser starts Assay's wc-auth install for this site.
	 *
	 * @param string $site_url  This site's home URL.
	 * @param string $challenge The verifier's challenge.
	 */
	public function connect_url( string $site_url, string $challenge ): string {
		return $this->assay_url . '/woocommerce/install?' . http_build_query(
			array(
				'store_url'        => untrailingslashit( $site_url ),
				'plugin_challenge' => $challenge,
			),
			'',
			'&',
			PHP_QUERY_RFC3986
		);
	}

	/**
	 * Exchange the code the browser brought back, with the verifier, for the store id and secret.
	 *
	 * @param string $site_url This site's home URL.
	 * @param string $code     The connect code.
	 * @param string $verifier The verifier kept since Connect.
	 * @return array{status: int, body: array<string, mixed>}
	 */
	public function claim( string $site_url, string $code, string $verifier ): array {
		$body = wp_json_encode(
			array(
				'store_url' => untrailingslashit( $site_url ),
				'code'      => $code,
				'verifier'  => $verifier,
			)
		);
		return $this->send( 'POST', '/woocommerce/plugin/claim', (string) $body, false );
	}

	/**
	 * The store's status at Assay: connected, webhooks healthy, last event seen.
	 *
	 * @return array{status: int, body: array<string, mixed>}
	 */
	public function status(): array {
		return $this->send( 'GET', '/woocommerce/plugin/status', '', true, self::READ_TIMEOUT );
	}

	/**
	 * A single-use link that signs the given person in to Assay's settings page.
	 *
	 * @param string $person Who asks (the WordPress user's email).
	 * @return array{status: int, body: array<string, mixed>}
	 */
	public function login_link( string $person ): array {
		return $this->send( 'POST', '/woocommerce/plugin/login-link', (string) wp_json_encode( array( 'person' => $person ) ), true );
	}

	/**
	 * Tell Assay to drop the store's key and forget the store.
	 *
	 * @return array{status: int, body: array<string, mixed>}
	 */
	public function disconnect(): array {
		return $this->send( 'POST', '/woocommerce/plugin/disconnect', '', true );
	}

	/**
	 * Post a customer's request to Assay's storefront form.
	 *
	 * @param array<string, mixed> $fields order_number, email, order_key, kind, reason, photos, note, line_id[], request_key.
	 * @return array{status: int, body: array<string, mixed>}
	 */
	public function submit_request( array $fields ): array {
		$path = '/forms/woocommerce/' . $this->store_id . '/request';
		return $this->send( 'POST', $path, (string) wp_json_encode( $fields ), false );
	}

	/**
	 * The decision on a request, from the answer_url Assay returned for it.
	 *
	 * @param string $answer_url A path on Assay, as the form's answer gave it.
	 * @return array{status: int, body: array<string, mixed>}
	 */
	public function answer( string $answer_url ): array {
		if ( 0 !== strpos( $answer_url, '/forms/woocommerce/' . $this->store_id . '/request/' ) ) {
			return array(
				'status' => 0,
				'body'   => array( 'error' => 'not_an_answer_url' ),
			);
		}
		return $this->send( 'GET', $answer_url, '', false, self::READ_TIMEOUT );
	}

	/**
	 * The signing headers for one request.
	 *
	 * @param string $method    HTTP method.
	 * @param string $path      The path, without query.
	 * @param string $body      The exact body sent.
	 * @param int    $timestamp Unix seconds.
	 * @param string $nonce     A fresh nonce.
	 * @return array<string, string>
	 */
	public function signed_headers( string $method, string $path, string $body, int $timestamp, string $nonce ): array {
		$canonical = strtoupper( $method ) . "\n" . $path . "\n" . $timestamp . "\n" . $nonce . "\n" . hash( 'sha256', $body );
		return array(
			'X-Assay-Store'     => (string) $this->store_id,
			'X-Assay-Timestamp' => (string) $timestamp,
			'X-Assay-Nonce'     => $nonce,
			'X-Assay-Signature' => hash_hmac( 'sha256', $canonical, $this->secret ),
		);
	}

	/**
	 * Send one request; the answer's status and JSON body (an empty body for a transport error, status 0).
	 *
	 * @param string $method  HTTP method.
	 * @param string $path    The path (with a query only for unsigned GETs).
	 * @param string $body    The body.
	 * @param bool   $signed  Whether to sign it with the store's secret.
	 * @param int    $timeout Seconds to wait for the answer.
	 * @return array{status: int, body: array<string, mixed>}
	 */
	private function send( string $method, string $path, string $body, bool $signed, int $timeout = self::TIMEOUT ): array {
		$headers = array(
			'Content-Type' => 'application/json',
			'Accept'       => 'application/json',
		);
		if ( $signed ) {
			$headers += $this->signed_headers( $method, $path, $body, time(), self::base64url( random_bytes( 24 ) ) );
		}
		$response = wp_remote_request(
			$this->assay_url . $path,
			array(
				'method'      => $method,
				'headers'     => $headers,
				'body'        => '' === $body ? null : $body,
				'timeout'     => $timeout,
				'redirection' => 0,
			)
		);
		if ( is_wp_error( $response ) ) {
			return array(
				'status' => 0,
				'body'   => array( 'error' => 'unreachable' ),
			);
		}
		$decoded = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		return array(
			'status' => (int) wp_remote_retrieve_response_code( $response ),
			'body'   => is_array( $decoded ) ? $decoded : array(),
		);
	}

	/**
	 * Base64url without padding.
	 *
	 * @param string $bytes Raw bytes.
	 */
	private static function base64url( string $bytes ): string {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}
}
