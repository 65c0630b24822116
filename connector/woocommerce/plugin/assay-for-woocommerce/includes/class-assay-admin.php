<?php
/**
 * WooCommerce › Assay: the Assay URL and Connect; once connected, the store's status, Open Assay and Disconnect.
 *
 * Every action is a POST to admin-post.php with its own nonce, and every one checks manage_woocommerce first.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The admin page and its actions.
 */
class Assay_Admin {
	const CAPABILITY = 'manage_woocommerce';
	const PAGE       = 'assay';

	/**
	 * Hook the page and its actions.
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		foreach ( array( 'connect', 'open', 'disconnect' ) as $action ) {
			add_action(
				'admin_post_assay_' . $action,
				function () use ( $action ) {
					$this->redirect( $this->{'handle_' . $action}() );
				}
			);
		}
	}

	/**
	 * WooCommerce › Assay.
	 */
	public function add_page(): void {
		add_submenu_page( 'woocommerce', __( 'Assay', 'assay-for-woocommerce' ), __( 'Assay', 'assay-for-woocommerce' ), self::CAPABILITY, self::PAGE, array( $this, 'render' ) );
	}

	/**
	 * Refuse anyone who may not manage WooCommerce, and any request without this action's nonce.
	 *
	 * @param string $action The action's name.
	 */
	private function guard( string $action ): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to manage Assay for this store.', 'assay-for-woocommerce' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( 'assay_' . $action );
	}

	/**
	 * Connect: save the Assay URL, keep a new verifier, and send the browser to Assay's install for this site.
	 *
	 * @return string Where the browser goes next.
	 */
	public function handle_connect(): string {
		$this->guard( 'connect' );
		$url = Assay_Settings::clean_assay_url( sanitize_text_field( wp_unslash( $_POST['assay_url'] ?? '' ) ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- guard() checked the nonce.
		if ( '' === $url ) {
			return $this->page_url( array( 'assay_notice' => 'bad_url' ) );
		}
		$verifier = Assay_Client::new_verifier();
		Assay_Settings::update(
			array(
				'assay_url' => $url,
				'verifier'  => $verifier,
			)
		);
		return ( new Assay_Client( $url ) )->connect_url( home_url(), Assay_Client::challenge( $verifier ) );
	}

	/**
	 * Open Assay: ask Assay, signed, for a single-use login link and send the browser there.
	 *
	 * @return string Where the browser goes next.
	 */
	public function handle_open(): string {
		$this->guard( 'open' );
		if ( ! Assay_Settings::connected() ) {
			return $this->page_url( array( 'assay_notice' => 'not_connected' ) );
		}
		$user   = wp_get_current_user();
		$answer = Assay_Client::from_settings()->login_link( (string) $user->user_email );
		$link   = (string) ( $answer['body']['url'] ?? '' );
		$base   = Assay_Settings::all()['assay_url'] . '/admin/login/';
		if ( 200 !== $answer['status'] || 0 !== strpos( $link, $base ) ) {
			return $this->page_url( array( 'assay_notice' => 'open_failed' ) );
		}
		return $link;
	}

	/**
	 * Disconnect: tell Assay, revoke Assay's key and webhooks here, remove the plugin's options.
	 *
	 * @return string Where the browser goes next.
	 */
	public function handle_disconnect(): string {
		$this->guard( 'disconnect' );
		self::forget_connection();
		return $this->page_url( array( 'assay_notice' => 'disconnected' ) );
	}

	/**
	 * Tell Assay to forget the store (if connected), delete Assay's REST key and webhooks on this site, drop the option.
	 */
	public static function forget_connection(): void {
		$settings = Assay_Settings::all();
		if ( Assay_Settings::connected() ) {
			Assay_Client::from_settings()->disconnect();
		}
		if ( '' !== $settings['assay_url'] ) {
			self::revoke_assay_access( $settings['assay_url'] );
		}
		Assay_Settings::delete();
	}

	/**
	 * Delete the REST key wc-auth made for Assay and the webhooks that deliver to Assay.
	 *
	 * @param string $assay_url Assay's base URL.
	 */
	private static function revoke_assay_access( string $assay_url ): void {
		self::delete_assay_keys();
		if ( class_exists( 'WC_Data_Store' ) && function_exists( 'wc_get_webhook' ) ) {
			foreach ( WC_Data_Store::load( 'webhook' )->search_webhooks( array( 'limit' => -1 ) ) as $webhook_id ) {
				$webhook = wc_get_webhook( $webhook_id );
				if ( $webhook && 0 === strpos( (string) $webhook->get_delivery_url(), $assay_url . '/' ) ) {
					$webhook->delete( true );
				}
			}
		}
	}

	/**
	 * Delete the REST keys wc-auth made for Assay: it names each "<app_name> - API (<date>)", Assay's app_name being
	 * "Assay". WooCommerce has no API that deletes a key, so the table is written directly.
	 */
	private static function delete_assay_keys(): void {
		global $wpdb;
		if ( ! isset( $wpdb ) || ! $wpdb instanceof wpdb ) {
			return;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}woocommerce_api_keys WHERE description LIKE %s", 'Assay - API%' ) );
	}

	/**
	 * The page.
	 */
	public function render(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to manage Assay for this store.', 'assay-for-woocommerce' ), '', array( 'response' => 403 ) );
		}
		$notice   = $this->notice_from_query();
		$settings = Assay_Settings::all();
		echo '<div class="wrap"><h1>' . esc_html__( 'Assay', 'assay-for-woocommerce' ) . '</h1>';
		$this->render_notice( $notice );
		if ( 'connecting' === $notice ) {
			// Assay hands the secret to this site (class-assay-connection.php) seconds after the approval.
			echo '<meta http-equiv="refresh" content="3" />';
		}
		if ( Assay_Settings::connected() ) {
			$this->render_status( Assay_Client::from_settings()->status() );
			$this->render_button( 'open', __( 'Open Assay', 'assay-for-woocommerce' ), 'button-primary' );
			$this->render_button( 'disconnect', __( 'Disconnect', 'assay-for-woocommerce' ), 'button-secondary' );
		} else {
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
			wp_nonce_field( 'assay_connect' );
			echo '<input type="hidden" name="action" value="assay_connect" />';
			echo '<p><label for="assay_url">' . esc_html__( 'Assay URL', 'assay-for-woocommerce' ) . '</label> ';
			echo '<input type="url" class="regular-text" id="assay_url" name="assay_url" required value="' . esc_attr( $settings['assay_url'] ) . '" /></p>';
			echo '<p><button type="submit" class="button button-primary">' . esc_html__( 'Connect', 'assay-for-woocommerce' ) . '</button></p></form>';
		}
		echo '</div>';
	}

	/**
	 * The notice the query asks for (a key, never text): back from WooCommerce's approval, Assay's answer is only
	 * "approved" or "declined"; the secret itself comes to this site from Assay, not through the browser.
	 */
	private function notice_from_query(): string {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- read-only: it picks a notice to show.
		$notice = sanitize_key( wp_unslash( $_GET['assay_notice'] ?? '' ) );
		if ( isset( $_GET['assay_declined'] ) ) {
			$notice = 'declined';
		} elseif ( isset( $_GET['assay_connecting'] ) ) {
			$notice = Assay_Settings::connected() ? 'connected' : ( '' !== Assay_Settings::all()['verifier'] ? 'connecting' : 'connect_failed' );
		}
		// phpcs:enable WordPress.Security.NonceVerification.Recommended
		return $notice;
	}

	/**
	 * What Assay says of the store.
	 *
	 * @param array{status: int, body: array<string, mixed>} $answer Assay's answer to the status request.
	 */
	public function render_status( array $answer ): void {
		if ( 200 !== $answer['status'] ) {
			self::admin_notice( 'error', __( 'Assay could not be reached just now.', 'assay-for-woocommerce' ) );
			return;
		}
		$body    = $answer['body'];
		$healthy = $body['webhooks']['healthy'] ?? null;
		$rows    = array(
			__( 'Connected', 'assay-for-woocommerce' ) => ! empty( $body['connected'] ) ? __( 'Yes', 'assay-for-woocommerce' ) : __( 'Not yet', 'assay-for-woocommerce' ),
			__( 'Webhooks', 'assay-for-woocommerce' )  => true === $healthy ? __( 'Healthy', 'assay-for-woocommerce' ) : ( false === $healthy ? __( 'Missing or disabled', 'assay-for-woocommerce' ) : __( 'Unknown', 'assay-for-woocommerce' ) ),
			__( 'Last event seen', 'assay-for-woocommerce' ) => ! empty( $body['last_event_at'] ) ? (string) $body['last_event_at'] : __( 'None yet', 'assay-for-woocommerce' ),
		);
		echo '<table class="widefat striped"><tbody>';
		foreach ( $rows as $label => $value ) {
			echo '<tr><th>' . esc_html( $label ) . '</th><td>' . esc_html( $value ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * A one-button form for an action, with its nonce.
	 *
	 * @param string $action The action.
	 * @param string $label  The button's text.
	 * @param string $class  The button's class.
	 */
	private function render_button( string $action, string $label, string $class ): void {
		echo '<form method="post" style="display:inline-block;margin:1em 1em 0 0" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '"' . ( 'open' === $action ? ' target="_blank"' : '' ) . '>';
		wp_nonce_field( 'assay_' . $action );
		echo '<input type="hidden" name="action" value="' . esc_attr( 'assay_' . $action ) . '" />';
		echo '<button type="submit" class="button ' . esc_attr( $class ) . '">' . esc_html( $label ) . '</button></form>';
	}

	/**
	 * A notice, by its key (never text from the query), styled as WordPress styles its kind: a failure as an error.
	 *
	 * @param string $notice The notice's key.
	 */
	private function render_notice( string $notice ): void {
		$notices = array(
			'connected'      => array( 'success', __( 'Connected to Assay.', 'assay-for-woocommerce' ) ),
			'connecting'     => array( 'info', __( 'Approved. Assay is finishing the connection; this page updates in a few seconds. If it does not say Connected within a minute, press Connect again.', 'assay-for-woocommerce' ) ),
			'declined'       => array( 'warning', __( 'Assay was not connected: the request was declined on WooCommerce\'s approval screen.', 'assay-for-woocommerce' ) ),
			'connect_failed' => array( 'error', __( 'Assay could not finish connecting. Please press Connect again.', 'assay-for-woocommerce' ) ),
			'bad_url'        => array( 'error', __( 'The Assay URL must be an https:// address.', 'assay-for-woocommerce' ) ),
			'not_connected'  => array( 'error', __( 'Connect to Assay first.', 'assay-for-woocommerce' ) ),
			'open_failed'    => array( 'error', __( 'Assay did not give a sign-in link just now. Please try again.', 'assay-for-woocommerce' ) ),
			'disconnected'   => array( 'success', __( 'Disconnected: Assay has forgotten this store.', 'assay-for-woocommerce' ) ),
		);
		if ( isset( $notices[ $notice ] ) ) {
			self::admin_notice( $notices[ $notice ][0], $notices[ $notice ][1] );
		}
	}

	/**
	 * One WordPress admin notice (notice-error, notice-warning, notice-success or notice-info) around plain text.
	 *
	 * @param string $kind error, warning, success or info.
	 * @param string $text The message, not yet escaped.
	 */
	private static function admin_notice( string $kind, string $text ): void {
		echo '<div class="notice notice-' . esc_attr( $kind ) . ' inline"><p>' . esc_html( $text ) . '</p></div>';
	}

	/**
	 * This page's URL with a query.
	 *
	 * @param array<string, string> $query The query.
	 */
	private function page_url( array $query ): string {
		return add_query_arg( array_merge( array( 'page' => self::PAGE ), $query ), admin_url( 'admin.php' ) );
	}

	/**
	 * Send the browser on and stop (Assay's install and login link are off-site, so not wp_safe_redirect).
	 *
	 * @param string $url Where.
	 */
	private function redirect( string $url ): void {
		wp_redirect( $url ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect
		exit;
	}
}
